"""The torch-free, Qt-free core: the config, the analytic engine and its records."""
