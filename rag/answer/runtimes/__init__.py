"""Runtimes: what runs a generator, one a module behind one interface (`generator.Generator`).

`llamacpp` runs GGUF weights with llama.cpp (its prompt cache is `prompt_cache`),
`transformers_lm` runs them with transformers, `openai_api` asks an OpenAI-compatible server.
Each registers itself by name when imported (rag.registry), as a plugin does; rag.registry
imports a shipped one when it is first asked for. A runtime receives the prompt's pieces with the
chat (`generator.Pieced`); it does not read the prompt's layout.
"""
