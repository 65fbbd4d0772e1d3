-- One row per registered voter with whether they voted: the shared base of the turnout marts
-- (turnout = voters who voted / registered voters, per state, age band or gender).
-- Incremental (delete+insert on voter_id): a run recomputes only the voters touched since the
-- newest references_ingested_at here — a voter record ingested since (a new voter, or a changed
-- state, gender or age), a counted vote changed since (fct_votes' references_ingested_at), or a
-- first vote ingested since (which may have left fct_votes). A voter never leaves dim_voter, so
-- no row here ever has to be deleted.
{{
    config(
        materialized='incremental',
        unique_key='voter_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        meta={'test_rows_built': true},
        indexes=[
            {'columns': ['voter_id'], 'unique': true},
            {'columns': ['references_ingested_at']},
            {'columns': ['built_at']},
        ]
    )
}}

-- depends_on: {{ ref('int_elections__first_votes') }}
{#- Each touched set reads its table directly (not a CTE named twice, which PostgreSQL would
    materialize in full), so the watermark filters use the indexes. -#}
{%- set since = pipeline.incremental_watermark('references_ingested_at') %}

with

{% if is_incremental() %}
touched as (

    select voter_id from {{ ref('dim_voter') }}
    where ingested_at > {{ since }}

    union

    select voter_id from {{ ref('fct_votes') }}
    where references_ingested_at > {{ since }}

    union

    select voter_id from {{ ref('int_elections__first_votes') }}
    where ingested_at > {{ since }}

),
{% endif %}

final as (

    select
        voters.voter_id,
        voters.location_id,

        voters.state,
        voters.gender,
        voters.age_band,

        case when votes.voter_id is null then 0 else 1 end as has_voted,

        -- The newest input of this row (the incremental filter). Not greatest(): Snowflake's is
        -- null when an argument is.
        case
            when votes.references_ingested_at > voters.ingested_at then votes.references_ingested_at
            else voters.ingested_at
        end as references_ingested_at,

        -- When the build that wrote this row started (macros/rows_built.sql: what its tests read).
        {{ pipeline.built_at() }} as built_at

    from {{ ref('dim_voter') }} as voters
    left join {{ ref('fct_votes') }} as votes
        on voters.voter_id = votes.voter_id
    {% if is_incremental() %}
    where voters.voter_id in (select voter_id from touched)
    {% endif %}

)

select * from final
