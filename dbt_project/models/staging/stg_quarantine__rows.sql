-- Quarantined rows without their content: which delivery, file, row, column and rule, and the
-- loader's message with any value it quotes from the file withheld (an unknown code is quoted as
-- 'xx'; quote_literal doubles a quote inside and may prefix E). The record itself (pseudonymised,
-- but personal data) is not carried forward.
with

source as (
    select * from {{ source('quarantine', 'rows') }}
),

renamed as (
    select
        agency,
        delivery_id,
        dataset,
        file_name,
        source_row,
        column_name,
        rule,
        regexp_replace(reason, $$E?'([^']|'')*'$$, '(value withheld)', 'g') as message
    from source
)

select * from renamed
