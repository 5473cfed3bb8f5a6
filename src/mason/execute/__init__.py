"""Stage 5 (execute): plan, schedule and run nodes against the warehouse through an adapter."""
