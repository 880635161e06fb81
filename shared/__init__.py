"""The core both services use: settings, domain models, storage, logs, metrics, the xAI client."""
