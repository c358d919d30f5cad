# sockerless_ecs_io: task watcher, agent health, payload store.
