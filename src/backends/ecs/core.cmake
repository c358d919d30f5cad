# sockerless_ecs_core: configuration, task definitions, entrypoints, overrides (pure).
