-- One row per voter whose vote counts: the voter's first vote (int_elections__first_votes), for a
-- registered candidate, by a registered voter. Votes whose references are missing are set apart
-- in election_rejected_votes instead — never in any total.
-- references_ingested_at is when the vote became countable: the newest of the vote's own
-- ingested_at and its voter's and candidate's first registration (first_ingested_at). A record
-- sent again changes nothing here: no column comes from the voter's or candidate's record.
-- Incremental (delete+insert on voter_id): a run recomputes only the voters touched since the
-- newest references_ingested_at here — a first vote ingested since (a new vote, or an earlier
-- one loaded late), a voter first registered since (a held vote is released), a candidate first
-- registered since (the votes for it) — each found through an index, never by joining every
-- vote. The pre-hook first removes the row of a voter whose first vote changed: re-inserted
-- below if the new first vote counts, left out (rejected) if not.
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
            {'columns': ['built_at']},
        ],
        pre_hook="{% if is_incremental() %}delete from {{ this }} where voter_id in (select voter_id from {{ ref('int_elections__first_votes') }} where ingested_at > {{ pipeline.incremental_watermark('references_ingested_at') }}){% endif %}"
    )
}}

{#- Each touched set reads its table directly (not a CTE named twice, which PostgreSQL would
    materialize in full), so the watermark filters use the indexes. -#}
{%- set since = pipeline.incremental_watermark('references_ingested_at') %}

with

{% if is_incremental() %}
touched as (

    select voter_id from {{ ref('int_elections__first_votes') }}
    where ingested_at > {{ since }}

    union

    select voter_id from {{ ref('dim_voter') }}
    where first_ingested_at > {{ since }}

    union

    select voter_id from {{ ref('int_elections__first_votes') }}
    where candidate_id in (
        {{ pipeline.values_of("select candidate_id from " ~ ref('dim_candidate') ~ " where first_ingested_at > " ~ since) }}
    )

),
{% endif %}

referenced as (

    select
        votes.*,
        greatest(votes.ingested_at, voters.first_ingested_at, candidates.first_ingested_at) as references_ingested_at
    -- The dimensions (tables), not the staging views: joined to a view the planner may rescan its
    -- window function per vote.
    from {{ ref('int_elections__first_votes') }} as votes
    inner join {{ ref('dim_voter') }} as voters
        on votes.voter_id = voters.voter_id
    inner join {{ ref('dim_candidate') }} as candidates
        on votes.candidate_id = candidates.candidate_id
    {% if is_incremental() %}
    where votes.voter_id in (select voter_id from touched)
    {% endif %}

),

final as (

    select
        voter_id,
        candidate_id,
        {{ pipeline.surrogate_key(['state']) }} as location_id,

        state,

        vote,

        voted_at,
        {{ pipeline.truncate_to_date('day', 'voted_at') }} as voted_on,
        kafka_topic,
        kafka_partition,
        kafka_offset,
        ingested_at,
        references_ingested_at,
        -- When the build that wrote this row started (macros/rows_built.sql: what its tests read).
        {{ pipeline.built_at() }} as built_at

    from referenced

)

select * from final
