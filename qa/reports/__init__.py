"""Quality reports: IQS and the other figures, charts, CSV / XLSX export, the bulletin and the report API."""
