"""Indexing: articles into a searchable index, and the index itself.

`chunking` cuts articles into passages, `embedders` (and `query_encoder`, `remote_embedder`)
turn passages and questions into vectors, `lexical` keeps BM25 beside them, `vectors` holds the
vectors (FAISS or Milvus), `store` writes and opens an index version (`milvus_store` the whole
index in Milvus), `manifest` is what an index says about itself, and `indexing` syncs an index
with its sources. What is indexed is searched by rag.retrieval.
"""
