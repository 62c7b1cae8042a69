{#- Incremental models by the deliveries a build has not applied yet (issue 15 item 1).

    Each incremental model keeps, in intermediate.applied_deliveries, the deliveries (agency,
    delivery_id) whose rows it has applied. A build of the model:
    1. (when it is compiled, in the transaction that builds it) takes a snapshot of the deliveries
       loaded and not applied to it yet into the temporary table pending_deliveries — every
       delivery when the model is built in full (first build, `crvs build --full-refresh`);
    2. incremental: the model's `scope` query, over those deliveries, says what they touched (the
       quarters, or the records) into the temporary table incremental_scope; the model selects
       only the rows of that scope, and the strategy replace_scope deletes the stored rows of the
       scope (by the model's unique_key, whether or not the new batch still has rows there: a
       quarter or record that vanished is gone) and inserts the batch;
    3. its post-hook records the snapshot as applied, in the same transaction.
    Never the clock: only which deliveries are loaded. A delivery loaded during the build is not in
    the snapshot, so the next build applies it (re-deriving a scope twice gives the same rows).
    What no delivery records (a changed seed, a changed model) needs `crvs build --full-refresh`. -#}

{% macro applied_deliveries_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema='intermediate', identifier='applied_deliveries')) }}
{%- endmacro %}

{#- The ledger, created once per dbt invocation before any model runs (on-run-start): models built
    in parallel threads only read and write it. -#}
{% macro create_applied_deliveries_ledger() -%}
    {%- set ledger = applied_deliveries_relation() -%}
    create schema if not exists {{ ledger.schema }};
    create table if not exists {{ ledger }} (
        model         text not null,
        agency        text not null,
        delivery_id   text not null,
        applied_at    timestamptz not null,
        primary key (model, agency, delivery_id)
    )
{%- endmacro %}

{#- True when the model is being built (dbt build or run), not parsed, compiled for the docs or
    rendered for one of its unit tests. -#}
{% macro builds_this_model() -%}
    {{ return(execute and model.resource_type == 'model' and flags.WHICH in ('build', 'run')) }}
{%- endmacro %}

{#- Call at the top of an incremental model. `scope` is a macro giving a query over
    pending_deliveries whose columns are the model's unique_key (what the pending deliveries
    touched), called with `scope_args`. Rendered at parse time too (so that dbt sees the refs it
    reads); run only when the model itself is built (builds_this_model). Returns nothing. -#}
{% macro prepare_incremental_scope(scope, scope_args=[]) %}
    {%- set building = builds_this_model() -%}
    {%- if not execute -%}
        {%- do source('raw', 'deliveries') -%}
        {%- do scope(*scope_args) -%}
    {%- endif -%}
    {%- if building -%}
        {%- set deliveries = source('raw', 'deliveries') -%}
        {%- set ledger = applied_deliveries_relation() -%}
        {%- set statements -%}
            drop table if exists pg_temp.pending_deliveries;
            drop table if exists pg_temp.incremental_scope;
            create temporary table pending_deliveries as
            select deliveries.agency, deliveries.delivery_id
            from {{ deliveries }} as deliveries
            {%- if is_incremental() %}
            where not exists (
                select from {{ ledger }} as applied
                where applied.model = '{{ this.identifier }}'
                    and applied.agency = deliveries.agency
                    and applied.delivery_id = deliveries.delivery_id
            )
            {%- endif %};
            {%- if is_incremental() %}
            create temporary table incremental_scope as
            {{ scope(*scope_args) }};
            analyze pg_temp.incremental_scope;
            {%- endif %}
        {%- endset -%}
        {%- do run_query(statements) -%}
    {%- endif -%}
{% endmacro %}

{#- The quarters of the incremental scope as a list of labels (read at compile time): a model
    filters on them as constants, which the planner pushes down to the rows. -#}
{% macro scope_quarters(column='quarter') -%}
    {%- if builds_this_model() and is_incremental() -%}
        {%- set found = run_query('select distinct ' ~ column ~ ' from pg_temp.incremental_scope where ' ~ column ~ ' is not null order by 1') -%}
        {{ return(found.columns[0].values() | list) }}
    {%- endif -%}
    {{ return([]) }}
{%- endmacro %}

{#- `expr in (the scope's quarters)`; false when the scope is empty. -#}
{% macro in_scope_quarters(expr, column='quarter') -%}
    {#- `execute` is dbt's; sqlfluff's jinja templater (make lint) has none, and lints the filter as false -#}
    {%- set quarters = scope_quarters(column) if execute is defined else [] -%}
    {%- if quarters -%}
        {{ expr }} in ({% for q in quarters %}'{{ q }}'{{ ", " if not loop.last }}{% endfor %})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#- The post-hook of every incremental model: the snapshot of step 1 is applied. -#}
{% macro record_applied_deliveries() -%}
    insert into {{ applied_deliveries_relation() }} (model, agency, delivery_id, applied_at)
    select '{{ this.identifier }}', agency, delivery_id, now() from pg_temp.pending_deliveries
    on conflict do nothing;
    drop table if exists pg_temp.pending_deliveries;
    drop table if exists pg_temp.incremental_scope
{%- endmacro %}

{#- Strategy replace_scope: delete the stored rows whose unique_key is in incremental_scope, then
    insert the batch (which holds the rows of that scope only). -#}
{% macro get_incremental_replace_scope_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where ({{ keys | join(', ') }}) in (select {{ keys | join(', ') }} from pg_temp.incremental_scope);

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{% endmacro %}

{#- What the pending deliveries touched, as quarter labels (column `column_name`): for a MOJ record
    that one of them carries, the registration and event quarters of every version of the record
    (a correction or cancellation changes the quarter the superseded version counted in too); for a
    MOH notification, the event quarter of every row of it; for a GSO row, every quarter of its year
    (T8's expected events). A superset of what changed for every report model. -#}
{% macro touched_quarters(column_name='quarter') -%}
with

pending as (
    select agency, delivery_id from pg_temp.pending_deliveries
),

moj_changed as (
    select 'BIRTH' as event_type, record_id from {{ ref('stg_moj__births') }}
    where delivery_id in (select delivery_id from pending where agency = 'MOJ')
    union
    select 'DEATH', record_id from {{ ref('stg_moj__deaths') }}
    where delivery_id in (select delivery_id from pending where agency = 'MOJ')
    union
    select 'MARRIAGE', record_id from {{ ref('stg_moj__marriages') }}
    where delivery_id in (select delivery_id from pending where agency = 'MOJ')
),

moj_versions as (
    select registration_date, birth_date as event_date from {{ ref('stg_moj__births') }}
    where record_id in (select record_id from moj_changed where event_type = 'BIRTH')
    union all
    select registration_date, death_date from {{ ref('stg_moj__deaths') }}
    where record_id in (select record_id from moj_changed where event_type = 'DEATH')
    union all
    select registration_date, registration_date from {{ ref('stg_moj__marriages') }}
    where record_id in (select record_id from moj_changed where event_type = 'MARRIAGE')
),

moh_versions as (
    select birth_date as event_date from {{ ref('stg_moh__births') }}
    where notification_id in (
        select notification_id from {{ ref('stg_moh__births') }}
        where delivery_id in (select delivery_id from pending where agency = 'MOH')
    )
    union all
    select death_date from {{ ref('stg_moh__deaths') }}
    where notification_id in (
        select notification_id from {{ ref('stg_moh__deaths') }}
        where delivery_id in (select delivery_id from pending where agency = 'MOH')
    )
),

gso_years as (
    select year from {{ ref('stg_gso__population') }}
    where delivery_id in (select delivery_id from pending where agency = 'GSO')
    union
    select year from {{ ref('stg_gso__vital_rates') }}
    where delivery_id in (select delivery_id from pending where agency = 'GSO')
)

select {{ quarter_label('registration_date') }} as {{ column_name }} from moj_versions
union
select {{ quarter_label('event_date') }} from moj_versions
union
select {{ quarter_label('event_date') }} from moh_versions
union
select gso_years.year || 'Q' || q from gso_years cross join generate_series(1, 4) as quarters (q)
{%- endmacro %}

{#- fct_registration's scope: the MOJ records the pending deliveries carry. -#}
{% macro changed_moj_records() -%}
select 'BIRTH' as event_type, record_id from {{ ref('stg_moj__births') }}
where delivery_id in (select delivery_id from pg_temp.pending_deliveries where agency = 'MOJ')
union
select 'DEATH', record_id from {{ ref('stg_moj__deaths') }}
where delivery_id in (select delivery_id from pg_temp.pending_deliveries where agency = 'MOJ')
union
select 'MARRIAGE', record_id from {{ ref('stg_moj__marriages') }}
where delivery_id in (select delivery_id from pg_temp.pending_deliveries where agency = 'MOJ')
{%- endmacro %}

{#- The current versions (macro current_moj_records) of the `event_type` records of the scope,
    chosen over all their versions in `staging`: an aliased subquery. -#}
{% macro changed_current_records(staging, event_type) -%}
    {%- set versions -%}
        (
            select * from {{ staging }}
            where record_id in (select record_id from pg_temp.incremental_scope where event_type = '{{ event_type }}')
        ) as changed_versions
    {%- endset -%}
    ({{ current_moj_records(versions) }}) as changed_current
{%- endmacro %}
