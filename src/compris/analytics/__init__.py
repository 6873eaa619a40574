"""Analytics (issue 15): the figures a care team is judged by (volume, response rate, response and resolution
times, SLA attainment, CSAT, backlog, per agent and team), from rollups kept by listeners and jobs, rebuildable
from the raw data. Definitions: docs/analytics.md."""
