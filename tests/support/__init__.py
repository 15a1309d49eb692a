"""What tests share that is not a fixture: values, record builders, the oracle, worlds."""
