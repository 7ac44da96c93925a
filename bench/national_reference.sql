-- The LZB stock at one Stichtag for every Jobcenter and sex, written by hand in DuckDB SQL:
-- the reference the engine's LZB stock is timed against (bench/bench_national_month.py).
--
-- Set the Stichtag first:   SET VARIABLE st = DATE '2020-06-15';
-- Readings (docs/indicators.md, domain reference §10): corrections applied (per key of
-- elb_spells the latest recorded_on wins, then the later import; persons: the latest import);
-- a person is in the ELB stock of a Jobcenter at ST when an `elb` spell there covers ST; LZB
-- when the person's `elb` days of any Jobcenter, overlaps counted once, reach 638 in the 730
-- days ending with ST, ST included. Result: jobcenter_id, sex, n.

WITH cur AS (
    SELECT person_id, jobcenter_id, status, valid_from, valid_to
    FROM elb_spells
    QUALIFY row_number() OVER (
        PARTITION BY person_id, bg_id, jobcenter_id, status, bg_role, valid_from
        ORDER BY recorded_on DESC, _import_id DESC) = 1
), spells AS (
    SELECT person_id, jobcenter_id, valid_from AS a, coalesce(valid_to, DATE '9999-12-31') AS b
    FROM cur WHERE status = 'elb'
), stock AS (
    SELECT DISTINCT person_id, jobcenter_id FROM spells
    WHERE a <= getvariable('st') AND b >= getvariable('st')
), clipped AS (          -- the spells of persons in stock, cut to the 730-day window
    SELECT person_id,
           greatest(a, getvariable('st') - 729) AS a,
           least(b, getvariable('st')) AS b
    FROM spells
    WHERE a <= getvariable('st') AND b >= getvariable('st') - 729
      AND person_id IN (SELECT person_id FROM stock)
), starts AS (           -- a new island where a spell begins after all earlier ones ended
    SELECT person_id, a, b,
           CASE WHEN a <= max(b) OVER (PARTITION BY person_id ORDER BY a, b
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 0 ELSE 1 END AS new
    FROM clipped
), islands AS (
    SELECT person_id, sum(new) OVER (PARTITION BY person_id ORDER BY a, b
                                     ROWS UNBOUNDED PRECEDING) AS island, a, b
    FROM starts
), net AS (
    SELECT person_id, sum(days) AS days
    FROM (SELECT person_id, island, max(b) - min(a) + 1 AS days FROM islands
          GROUP BY person_id, island)
    GROUP BY person_id
), persons_now AS (
    SELECT person_id, sex FROM persons
    QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY _import_id DESC) = 1
)
SELECT s.jobcenter_id, p.sex, count(*) AS n
FROM stock s
JOIN net USING (person_id)
JOIN persons_now p USING (person_id)
WHERE net.days >= 638
GROUP BY s.jobcenter_id, p.sex
ORDER BY s.jobcenter_id, p.sex
