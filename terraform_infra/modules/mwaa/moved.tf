# The two self-referencing rules used to be two resources.
moved {
  from = aws_security_group_rule.self_ingress[0]
  to   = aws_security_group_rule.self["ingress"]
}

moved {
  from = aws_security_group_rule.self_egress[0]
  to   = aws_security_group_rule.self["egress"]
}
