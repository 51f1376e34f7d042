"""What the trader and Grafana see of the brain: Prometheus metrics, /graph, telemetry, reports."""
