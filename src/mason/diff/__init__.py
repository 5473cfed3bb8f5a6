"""Table diff: each model's relation in two targets compared in the warehouse (`mason diff`)."""
