"""Views of the closed loop: the case inbox and case page, configuration, analytics, improvement actions."""
