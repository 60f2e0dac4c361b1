"""Where workspaces are (see fieldapp.paths: answered without importing the store, so the
window opens quickly)."""

from fieldapp.paths import (
    KEYFILE_NAME,
    data_home,
    default_workspace_path,
    demo_workspace_path,
    is_workspace,
)

__all__ = ["KEYFILE_NAME", "data_home", "default_workspace_path", "demo_workspace_path",
           "is_workspace"]
