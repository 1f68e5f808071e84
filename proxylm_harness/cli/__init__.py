"""The two commands: ``proxylm-harness`` (``cli.harness``: records, train, predict, evaluate, benchmark) and
``proxylm-eval`` (``cli.eval``: lm-eval's ``run`` with the plugin's flags).

Each verb of ``proxylm-harness`` is one function ``_cmd_<verb>(args)`` in ``cli.harness``; to add a verb, add its
subparser in ``build_parser`` and that function. User errors end with one line and exit status 2.
"""
