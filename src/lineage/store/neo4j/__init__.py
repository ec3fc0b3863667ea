"""The server store: a Neo4j database through the official driver, parameterised Cypher."""
