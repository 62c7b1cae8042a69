-- The deliveries that fed each quarter (report.md, T9's row), one row per dataset file: the one
-- rule T9 (rpt_t9_data_quality), the manifest's "deliveries" (crvs.report.writer) and the gate's
-- feed checks of a quarter (crvs.quality.feeds) read.
--
-- A delivery fed a quarter when
--   PERIOD: its period overlaps the quarter (GSO: the quarter's year, its figures being yearly), or
--   ROWS:   a loaded row of it changes a figure of the quarter: a MOJ row registered in the quarter
--           (T1–T7 count by registration date), a NEW MOJ birth or death of the quarter registered on
--           time (T8 counts those by event date), a MOH birth or death of the quarter, a GSO row of
--           the quarter's year; and a row that supersedes an earlier one (a MOJ record's higher
--           version or cancellation, a MOH notification resent) changes every quarter the row it
--           supersedes counted in.
-- A delivery refused whole fed nothing: it is in rpt_quarter_rejected_deliveries.
with

deliveries as (
    select * from {{ ref('stg_raw__deliveries') }}
),

files as (
    select * from {{ ref('stg_raw__delivery_files') }}
),

quarantined as (
    select * from {{ ref('stg_quarantine__rows') }}
),

period_quarters as (
    select
        deliveries.agency,
        deliveries.delivery_id,
        {{ quarter_label('quarter_start') }} as quarter
    from deliveries
    cross join lateral {{ period_quarter_starts('deliveries.agency', 'deliveries.period_start', 'deliveries.period_end') }}
),

-- Every loaded MOJ row with the quarters it counts in by itself.
moj_rows as (
    select 'moj_births' as dataset, delivery_id, source_row, record_id, record_version, extracted_at, reg_kind,
        registration_date, birth_date as event_date,
        {{ timeliness("'BIRTH'", 'registration_date - birth_date') }} as timeliness
    from {{ ref('stg_moj__births') }}
    union all
    select 'moj_deaths', delivery_id, source_row, record_id, record_version, extracted_at, reg_kind,
        registration_date, death_date,
        {{ timeliness("'DEATH'", 'registration_date - death_date') }}
    from {{ ref('stg_moj__deaths') }}
    union all
    select 'moj_marriages', delivery_id, source_row, record_id, record_version, extracted_at, reg_kind,
        registration_date, registration_date, 'NOT_APPLICABLE'
    from {{ ref('stg_moj__marriages') }}
),

moj_own_quarters as (
    select dataset, delivery_id, source_row, record_id, record_version, extracted_at,
        {{ quarter_label('registration_date') }} as quarter
    from moj_rows
    union all
    select dataset, delivery_id, source_row, record_id, record_version, extracted_at,
        {{ quarter_label('event_date') }}
    from moj_rows
    where reg_kind = 'NEW' and timeliness = 'ON_TIME'
),

-- A later version (or the same version extracted later) supersedes an earlier one.
moj_quarters as (
    select dataset, delivery_id, source_row, quarter from moj_own_quarters
    union all
    select later.dataset, later.delivery_id, later.source_row, earlier.quarter
    from moj_rows as later
    inner join moj_own_quarters as earlier
        on later.dataset = earlier.dataset
        and later.record_id = earlier.record_id
        and (later.record_version, later.extracted_at) > (earlier.record_version, earlier.extracted_at)
),

moh_rows as (
    select 'moh_births' as dataset, delivery_id, source_row, notification_id, extracted_at,
        {{ quarter_label('birth_date') }} as quarter
    from {{ ref('stg_moh__births') }}
    union all
    select 'moh_deaths', delivery_id, source_row, notification_id, extracted_at,
        {{ quarter_label('death_date') }}
    from {{ ref('stg_moh__deaths') }}
),

moh_quarters as (
    select dataset, delivery_id, source_row, quarter from moh_rows
    union all
    select later.dataset, later.delivery_id, later.source_row, earlier.quarter
    from moh_rows as later
    inner join moh_rows as earlier
        on later.dataset = earlier.dataset
        and later.notification_id = earlier.notification_id
        and later.extracted_at > earlier.extracted_at
),

gso_rows as (
    select 'gso_population' as dataset, delivery_id, source_row, year from {{ ref('stg_gso__population') }}
    union all
    select 'gso_vital_rates', delivery_id, source_row, year from {{ ref('stg_gso__vital_rates') }}
),

gso_quarters as (
    select gso_rows.dataset, gso_rows.delivery_id, gso_rows.source_row, gso_rows.year || 'Q' || q as quarter
    from gso_rows
    cross join generate_series(1, 4) as quarters (q)
),

-- How many of each file's loaded rows change a figure of the quarter.
row_quarters as (
    select 'MOJ' as agency, dataset, delivery_id, quarter, count(distinct source_row) as rows_of_quarter
    from moj_quarters group by dataset, delivery_id, quarter
    union all
    select 'MOH', dataset, delivery_id, quarter, count(distinct source_row)
    from moh_quarters group by dataset, delivery_id, quarter
    union all
    select 'GSO', dataset, delivery_id, quarter, count(distinct source_row)
    from gso_quarters group by dataset, delivery_id, quarter
),

fed as (
    select agency, delivery_id, quarter, 'PERIOD' as fed_by from period_quarters
    union
    select agency, delivery_id, quarter, 'ROWS' from row_quarters
    where (agency, delivery_id, quarter) not in (select agency, delivery_id, quarter from period_quarters)
),

reasons as (
    select agency, delivery_id, dataset, column_name, rule, count(*) as quarantined_rows
    from quarantined
    group by agency, delivery_id, dataset, column_name, rule
),

-- The reason most rows were quarantined for; ties go to the first column and rule by name.
top_reasons as (
    select distinct on (agency, delivery_id, dataset)
        agency,
        delivery_id,
        dataset,
        column_name || ': ' || rule || ' (' || quarantined_rows || ' rows)' as top_rejection_reason
    from reasons
    order by agency asc, delivery_id asc, dataset asc, quarantined_rows desc, column_name asc, rule asc
),

final as (
    select
        cast(fed.quarter as text) as quarter,
        cast(deliveries.agency as text) as agency,
        cast(deliveries.delivery_id as text) as delivery_id,
        cast(files.dataset as text) as dataset,
        cast(fed.fed_by as text) as fed_by,
        cast(deliveries.channel as text) as channel,
        deliveries.extracted_at,
        deliveries.period_start,
        deliveries.period_end,
        cast(files.rows_received as integer) as rows_received,
        cast(files.rows_loaded as integer) as rows_loaded,
        cast(files.rows_quarantined as integer) as rows_rejected,
        cast(coalesce(row_quarters.rows_of_quarter, 0) as integer) as rows_of_quarter,
        cast(top_reasons.top_rejection_reason as text) as top_rejection_reason
    from fed
    inner join deliveries on fed.agency = deliveries.agency and fed.delivery_id = deliveries.delivery_id
    inner join files on deliveries.agency = files.agency and deliveries.delivery_id = files.delivery_id
    left join row_quarters
        on files.agency = row_quarters.agency
        and files.delivery_id = row_quarters.delivery_id
        and files.dataset = row_quarters.dataset
        and fed.quarter = row_quarters.quarter
    left join top_reasons
        on files.agency = top_reasons.agency
        and files.delivery_id = top_reasons.delivery_id
        and files.dataset = top_reasons.dataset
)

select * from final
