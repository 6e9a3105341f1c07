"""The event-sourced banking core: domain (pure), application services, adapters, simulator, CLI."""
