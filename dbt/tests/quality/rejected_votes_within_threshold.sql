-- One row per rejected vote (election_rejected_votes): any warns, so the gate reports the count;
-- more than the configured `max_rejected_votes` (dbt_project.yml) fails the run.
{{ config(warn_if='>0', error_if='>' ~ var('max_rejected_votes')) }}

select voter_id, candidate_id, reason
from {{ ref('election_rejected_votes') }}
