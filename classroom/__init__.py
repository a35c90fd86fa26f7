"""Classroom tooling (not part of the installed companion): the instructor's answer key,
the student-copy writer, the otter-grader assignment generator and the Colab-version check."""
