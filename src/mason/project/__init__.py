"""Stage 1 (load): find the project, read dbt_project.yml, profiles.yml and selectors.yml."""
