{#- The analysts' read-only role (on-run-end in dbt_project.yml): SELECT on the layers analysts
    read (marts, reports, reference: the code lists and their history), nothing else — not raw,
    quarantine, staging or intermediate, which hold the deliveries as received. Re-granted after
    every run because dbt recreates its tables; default privileges cover tables created before the
    run ends. The role is created without login; `crvs db analyst-url` gives it its password.
    A server where the dbt user may not create roles gets a notice, not a failed run. -#}
{% macro grant_analyst_access(role=env_var('CRVS_DBT_ANALYST_ROLE'), schemas=['marts', 'reports', 'reference']) %}
do $grant$
declare
    readable text;
begin
    if not exists (select from pg_roles where rolname = '{{ role }}') then
        begin
            create role {{ adapter.quote(role) }} nologin;
        exception when insufficient_privilege then
            raise notice 'cannot create role {{ role }}: ask an administrator to create it';
            return;
        end;
    end if;
    foreach readable in array array[{% for schema in schemas %}'{{ schema }}'{{ ", " if not loop.last }}{% endfor %}] loop
        if to_regnamespace(readable) is not null then
            execute format('grant usage on schema %I to %I', readable, '{{ role }}');
            execute format('grant select on all tables in schema %I to %I', readable, '{{ role }}');
            execute format('alter default privileges in schema %I grant select on tables to %I', readable, '{{ role }}');
        end if;
    end loop;
end
$grant$;
{% endmacro %}
