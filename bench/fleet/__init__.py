"""The fleet: the doctor and the benchmark on many machines, merged into one view.

`nodes` holds one machine's record (its doctor document or results, or why it could not be
read), `merge` builds the fleet from files, `drift` and `outliers` compare the nodes, `store`
writes and reads a fleet folder, `task` is what runs on a node, and `ray_runner` (the only
module that imports Ray, lazily) sends one task to every node of a Ray cluster. Everything but
`ray_runner` works without Ray: files gathered by Slurm or by hand merge the same way.
"""
