"""factory_boy factories, one module per app; import them from here."""
