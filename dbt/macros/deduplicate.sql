{#
  Keeps one row per `partition_by` key: the first by `order_by`. `relation` is usually a
  CTE name. The result has the relation's columns plus `_row_rank` (always 1), which the
  caller's final select leaves out. Portable on purpose (row_number, no qualify/distinct on).
#}
{% macro deduplicate(relation, partition_by, order_by) -%}
  select *
  from (
    select
      ranked_source.*,
      row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as _row_rank
    from {{ relation }} as ranked_source
  ) as ranked
  where _row_rank = 1
{%- endmacro %}
