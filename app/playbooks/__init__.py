"""Exception playbooks (异常情况下的应对措施, seed 004 §五) and the incidents that follow them."""
