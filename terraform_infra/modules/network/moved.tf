# The S3 and DynamoDB gateway endpoints used to be two resources.
moved {
  from = aws_vpc_endpoint.s3[0]
  to   = aws_vpc_endpoint.gateway["s3"]
}

moved {
  from = aws_vpc_endpoint.dynamodb[0]
  to   = aws_vpc_endpoint.gateway["dynamodb"]
}
