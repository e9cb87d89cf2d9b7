pytest_plugins = ["khidma.plugins.testing"]
