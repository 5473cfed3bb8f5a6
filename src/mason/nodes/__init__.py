"""The intermediate representation: frozen nodes (mason.nodes.nodes) and the Manifest that indexes them
(mason.nodes.manifest). Import from those modules: this package stays empty so that reading the slim
index (mason.nodes.slim) does not build the node classes (30 ms of every command's start)."""
