"""Stage 3 (graph): bind refs to nodes, build the DAG, report cycles, select nodes."""
