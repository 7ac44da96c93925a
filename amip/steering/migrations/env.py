"""Alembic environment of the steering store: run with the connection amip passes in
(:func:`amip.steering.db.migrate`), or from a URL in ``sqlalchemy.url``."""

from alembic import context
from sqlalchemy import create_engine

from amip.steering.models import Base

target_metadata = Base.metadata


def run() -> None:
    con = context.config.attributes.get("connection")
    if con is None:
        engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
        with engine.connect() as con:
            _migrate(con)
            con.commit()
        return
    _migrate(con)


def _migrate(con) -> None:
    context.configure(connection=con, target_metadata=target_metadata,
                      render_as_batch=con.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
