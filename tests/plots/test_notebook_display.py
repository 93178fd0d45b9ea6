"""qtlib.plots makes ``display(figure)`` show a PNG in an IPython kernel, without pyplot."""

import subprocess
import sys

from qtlib.plots import register_notebook_display


def test_no_kernel_no_registration():
    assert register_notebook_display() is False


def test_a_shell_without_pyplot_formats_figures_as_png():
    code = (
        "from IPython.testing.globalipapp import start_ipython\n"
        "shell = start_ipython()\n"
        "shell.display_formatter.active_types = ['text/plain', 'image/png']  # as in a kernel\n"
        "import sys\n"
        "import qtlib.plots as qp\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "import torch\n"
        "fig = qp.error_histogram(torch.randn(100), torch.randn(100)).figure\n"
        "png = shell.display_formatter.formatters['image/png'](fig)\n"
        "assert png is not None and png[:4] == b'\\x89PNG', repr(png)[:40]\n"
        "print('ok')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stderr[-2000:]
