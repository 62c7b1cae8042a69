{#- Seeds are loaded only when they change (issue 15 item 2). Each load records, in the same
    transaction, the seed's checksum in reference.seed_checksums (dbt_project.yml: the seeds'
    post-hook); a later build finds the table present with the same checksum and loads nothing,
    reading not even the CSV. `--full-refresh` always reloads. The checksum covers the file (dbt's
    sha256 of its contents) and the seed's column_types, so a changed type reloads too. -#}

{% macro seed_checksum(node) -%}
    {%- if node.checksum.name == 'sha256' -%}
        {{ local_md5(node.checksum.checksum ~ '|' ~ tojson(node.config.column_types or {})) }}
    {%- endif -%}
{%- endmacro %}

{% macro seed_checksums_relation() -%}
    {{ return(api.Relation.create(database=this.database, schema=this.schema, identifier='seed_checksums')) }}
{%- endmacro %}

{#- The seeds' post-hook: inside the load's transaction, so a failed load records nothing. -#}
{% macro record_seed_checksum() -%}
    {%- set checksum = seed_checksum(model) -%}
    {%- set recorded = seed_checksums_relation() -%}
    create table if not exists {{ recorded }} (
        seed       text primary key,
        checksum   text,
        loaded_at  timestamptz not null
    );
    insert into {{ recorded }} (seed, checksum, loaded_at)
    values ('{{ this.identifier }}', {{ "'" ~ checksum ~ "'" if checksum else 'null' }}, now())
    on conflict (seed) do update set checksum = excluded.checksum, loaded_at = excluded.loaded_at
{%- endmacro %}

{% macro seed_is_loaded(checksum) -%}
    {%- if not checksum or should_full_refresh() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set table = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- set recorded = adapter.get_relation(database=this.database, schema=this.schema, identifier='seed_checksums') -%}
    {%- if table is none or not table.is_table or recorded is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = run_query("select checksum from " ~ recorded ~ " where seed = '" ~ this.identifier ~ "'") -%}
    {{ return(found.rows | length == 1 and found.rows[0][0] == checksum) }}
{%- endmacro %}

{% materialization seed, adapter='postgres' %}
    {%- if seed_is_loaded(seed_checksum(model)) -%}
        {%- do store_result('agate_table', response='OK') -%}
        {% call noop_statement('main', 'UNCHANGED', 'UNCHANGED', 0) %}
            -- {{ this }} holds this seed's checksum already: not loaded again
        {% endcall %}
        {{ return({'relations': [this.incorporate(type='table')]}) }}
    {%- endif -%}
    {{ return(dbt.materialization_seed_default()) }}
{% endmaterialization %}
