-- The 100 % benchmark store from the 10 % store: ten disjoint copies of its people.
--
-- A size-faithful proxy, not a new simulation: run on a *copy* of the 10 % store file
-- (bench/bench_national_month.py --scale-up P10 P100 does both). The original rows stay; copies
-- 1..9 of every person-level row are added with person_id, bg_id and check_id prefixed by the
-- copy number ('3:P0001234'), so no two copies share a person or a BG. Jobcenter, units, teams,
-- caseworkers and the budget stay as they are: every Jobcenter gets ten times its people (its
-- figures' rates stay, its counts grow tenfold). The import log is unchanged (one import).

INSERT INTO persons SELECT k || ':' || person_id, sex, birth_date, citizenship, education, _import_id
    FROM persons, range(1, 10) r(k);
INSERT INTO bg_spells SELECT k || ':' || bg_id, jobcenter_id, bg_type, valid_from, valid_to, recorded_on, _import_id
    FROM bg_spells, range(1, 10) r(k);
INSERT INTO elb_spells SELECT k || ':' || person_id, k || ':' || bg_id, jobcenter_id, status, bg_role, valid_from, valid_to, recorded_on, _import_id
    FROM elb_spells, range(1, 10) r(k);
INSERT INTO benefit_months SELECT k || ':' || person_id, month, llu_eur, luh_eur, recorded_on, _import_id
    FROM benefit_months, range(1, 10) r(k);
INSERT INTO employment_spells SELECT k || ':' || person_id, kind, funding, valid_from, valid_to, recorded_on, gross_monthly_eur, _import_id
    FROM employment_spells, range(1, 10) r(k);
INSERT INTO measure_spells SELECT k || ':' || person_id, instrument, valid_from, valid_to, cost_eur, provider, recorded_on, _import_id
    FROM measure_spells, range(1, 10) r(k);
INSERT INTO unemployment_spells SELECT k || ':' || person_id, valid_from, valid_to, recorded_on, _import_id
    FROM unemployment_spells, range(1, 10) r(k);
INSERT INTO person_flags SELECT k || ':' || person_id, flag, valid_from, valid_to, recorded_on, _import_id
    FROM person_flags, range(1, 10) r(k);
INSERT INTO caseload SELECT k || ':' || person_id, unit_id, caseworker_id, role, valid_from, valid_to, _import_id
    FROM caseload, range(1, 10) r(k);
INSERT INTO contacts SELECT k || ':' || person_id, caseworker_id, contact_on, kind, _import_id
    FROM contacts, range(1, 10) r(k);
INSERT INTO prognoses SELECT k || ':' || person_id, assessed_on, prognosis, _import_id
    FROM prognoses, range(1, 10) r(k);
INSERT INTO casefile_checks SELECT k || ':' || check_id, k || ':' || person_id, area, checked_on, errors, items, _import_id
    FROM casefile_checks, range(1, 10) r(k);
CHECKPOINT;
