"""One Spark session per process, for reading a store published as Parquet (docs/spark.md).

Local by default: ``local[N]`` (N = $AMIP_SPARK_CORES or all cores), no web UI, bound to
127.0.0.1, few shuffle partitions (the engine's tables are small per Jobcenter), log level ERROR
and the JVM's own console output kept off the CLI's stdout/stderr. ``$AMIP_SPARK_MASTER`` (e.g.
``spark://host:7077``, ``yarn``) connects to a real cluster instead; under ``spark-submit`` the
session that spark-submit configured is used as it is. Further Spark settings come from
``$AMIP_SPARK_CONF`` (``key=value`` pairs separated by whitespace) or spark-defaults.conf.
"""

from __future__ import annotations

import os
import shutil
import threading

#: settings for a local session (stack-notes §2, measured on 2 cores); a cluster keeps its own
LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.memory": "6g",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.sql.session.timeZone": "UTC",
    # adaptive execution coalesces the few rows per Jobcenter into fewer tasks
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    # the engine's calendar and lookup tables are small: broadcast them instead of shuffling
    "spark.sql.autoBroadcastJoinThreshold": str(64 * 1024 * 1024),
    # many small Parquet files (one per import and table): pack them into few tasks
    "spark.sql.files.openCostInBytes": str(1024 * 1024),
    "spark.sql.files.maxPartitionBytes": str(64 * 1024 * 1024),
    "spark.driver.extraJavaOptions": "-Dlog4j2.level=ERROR",
}

#: settings for every session (local or cluster): results must not depend on the session
COMMON_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",  # as the spike ran; integer division as Ibis compiles it
}

_lock = threading.Lock()
_session = None


class SparkUnavailable(RuntimeError):
    """Spark cannot start here (no Java, no pyspark); German message."""


def available() -> str | None:
    """None when a local Spark session can start here; else the German reason."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark ist nicht installiert (pip install 'ibis-framework[pyspark]')"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "Java fehlt (Debian: apt-get install -y openjdk-17-jre-headless)"
    return None


def _extra_conf() -> dict[str, str]:
    pairs = os.environ.get("AMIP_SPARK_CONF", "").split()
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SparkUnavailable(f"$AMIP_SPARK_CONF: {pair!r} ist kein key=value")
        out[key] = value
    return out


def get_session():
    """The process's Spark session (started on first use, then reused)."""
    global _session
    with _lock:
        if _session is not None and not _session.sparkContext._jsc.sc().isStopped():
            return _session
        reason = available()
        if reason:
            raise SparkUnavailable(f"Spark kann nicht starten: {reason}")
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:  # spark-submit or a notebook made one: use it as it is
            _session = active
            return _session
        builder = SparkSession.builder.appName("amip")
        master = os.environ.get("AMIP_SPARK_MASTER")
        conf = dict(COMMON_CONF)
        if not master:
            cores = os.environ.get("AMIP_SPARK_CORES", "*")
            master = f"local[{cores}]"
            conf.update(LOCAL_CONF)
        conf.update(_extra_conf())
        builder = builder.master(master)
        for key, value in conf.items():
            builder = builder.config(key, value)
        with _quiet_jvm():
            _session = builder.getOrCreate()
        _session.sparkContext.setLogLevel("ERROR")
        return _session


def stop() -> None:
    """Stop the process's session (tests; the JVM ends with the process anyway)."""
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None


class _quiet_jvm:
    """Point file descriptors 1 and 2 at a log file while the JVM starts: the JVM inherits them
    for its whole life, so its logging setup, native library warnings and late log lines never
    reach the CLI's output (JSON on stdout stays clean). The log is $AMIP_SPARK_LOG if set, else
    a temporary file removed once the session runs; a failed start shows its end."""

    def __enter__(self):
        import sys
        import tempfile

        sys.stdout.flush()
        sys.stderr.flush()
        self.path = os.environ.get("AMIP_SPARK_LOG")
        self.keep = bool(self.path)
        if not self.path:
            fd, self.path = tempfile.mkstemp(prefix="amip-spark-", suffix=".log")
            os.close(fd)
        self._saved = [os.dup(1), os.dup(2)]
        log = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        return self

    def __exit__(self, exc_type, exc, tb):
        for fd, saved in zip((1, 2), self._saved):
            os.dup2(saved, fd)
            os.close(saved)
        if exc is not None:
            with open(self.path, errors="replace") as f:
                tail = f.read()[-2000:]
            if not self.keep:
                os.unlink(self.path)
            raise SparkUnavailable(f"Spark konnte nicht starten: {exc}\n{tail}") from exc
        if not self.keep:
            os.unlink(self.path)
