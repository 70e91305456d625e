"""The model library in the window: the Models tab (``tab``), the domain/model/device
pickers the Generate and Score tabs share (``picker``), and loaded checkpoints shared by
every tab, loaded off the UI thread (``cache``).

May import: ``studio.gui.shared``, ``studio.core``. Not the other tabs.
"""
