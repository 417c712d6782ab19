"""The gates' machinery: what lets the engine skip most of the LibCST work.

`source_text` scans a file's bytes, `statements` walks its stdlib `ast` once into the
`CoroutineCode` each part of the module has, and `focus` reduces the functions no rule needs
to stubs. Each rule's own gates (`Rule.may_apply`, `Rule.is_candidate`) live in its module and
use these; `process_source(..., prefilter=False)` turns them all off.
"""
