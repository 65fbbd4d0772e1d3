{#- Age → turnout band. Bands are closed-open: 18-24 holds 18 up to 24 inclusive. -#}
{% macro age_band(age) -%}
  case
    when {{ age }} is null then 'unknown'
    when {{ age }} < 18 then 'under 18'
    when {{ age }} < 25 then '18-24'
    when {{ age }} < 35 then '25-34'
    when {{ age }} < 45 then '35-44'
    when {{ age }} < 55 then '45-54'
    when {{ age }} < 65 then '55-64'
    else '65+'
  end
{%- endmacro %}
