"""Who may run which operation (one table) and what each role may see (scope)."""
