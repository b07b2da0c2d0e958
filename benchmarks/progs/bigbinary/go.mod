module bigbinary

go 1.21
