"""The demo's administration part (issue 19): people in each role, the audit log, retention, an erasure. One module
per part, each with ``load(runtime, workspace_id, users)``; :func:`compris.demo._load` calls them in order."""
