{#
  Fails on every row where `expression` is not true (rows where it is null fail too).
  Usage in yml:  data_tests: [{expression_is_true: {arguments: {expression: "low <= high"}}}]
#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
