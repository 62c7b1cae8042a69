{#- T10's scope (rpt_t10_completeness_by_period): the report quarters whose rows the pending
    deliveries may change. A row of quarter Q counts the events of Q's cohorts (up to twenty
    quarters back) and says whether the MOJ deliveries cover Q's cohort start to Q's end; so every
    quarter touched_quarters names, and every quarter a pending MOJ delivery's period overlaps,
    touches itself and the twenty quarters after it. A superset of what changed. -#}
{% macro completeness_cohort_quarters(column_name='quarter') -%}
with

touched as (
    {{ touched_quarters('quarter') }}
    union
    select {{ quarter_label('period_quarters.quarter_start') }}
    from {{ ref('stg_raw__deliveries') }} as deliveries
    cross join lateral {{ period_quarter_starts('deliveries.agency', 'deliveries.period_start', 'deliveries.period_end') }}
    where deliveries.agency = 'MOJ'
        and deliveries.period_start is not null
        and deliveries.period_end is not null
        and deliveries.delivery_id in (select delivery_id from pg_temp.pending_deliveries where agency = 'MOJ')
)

select distinct
    {{ quarter_label(quarter_start('touched.quarter') ~ " + later.quarters * interval '3 months'") }}
        as {{ column_name }}
from touched
cross join generate_series(0, 20) as later (quarters)
where touched.quarter is not null
{%- endmacro %}
