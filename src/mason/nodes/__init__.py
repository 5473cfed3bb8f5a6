"""The intermediate representation: frozen nodes and the Manifest that indexes them."""

from mason.nodes.manifest import Manifest
from mason.nodes.nodes import (
    Column,
    DocBlock,
    Exposure,
    GenericNode,
    Group,
    Macro,
    Node,
    RefCall,
    SourceDefinition,
    TestMetadata,
)

__all__ = [
    "Column",
    "DocBlock",
    "Exposure",
    "GenericNode",
    "Group",
    "Macro",
    "Manifest",
    "Node",
    "RefCall",
    "SourceDefinition",
    "TestMetadata",
]
