"""Grading: turning measured metrics and the technician's answers into verdicts and one grade.

Owns the grading profiles (declarative YAML rules, no Python), the rules that apply them,
and the model catalog that says what each phone model should be.

May import: the check API (``agent.check``, ``agent.questions``) and the shared leaf modules.
"""
