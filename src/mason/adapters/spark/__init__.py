"""The Apache Spark adapter (session and Spark Connect)."""
