"""Interactive explorers: one module per explorer, e.g. :mod:`qtlib.widgets.model_size` (ch00).

Each module keeps its callback a plain function that tests call without a browser, and a
``*_widget()`` factory that only wires that function to ipywidgets controls. Import the module
you need (``from qtlib.widgets.model_size import model_size_widget``); this package deliberately
imports none of them, so adding an explorer never touches this file.
"""
