{#
  Fails on every row where `expression` is not true (rows where it is null fail too).
  Declared on a model or a column (the column is then just where the check is listed).
  Usage in yml:  data_tests: [{expression_is_true: {arguments: {expression: "low <= high"}}}]
#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
